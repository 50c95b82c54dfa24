"""python -m gmcourse.exercises [NOTEBOOK_OR_FOLDER ...]: each exercise passed / failed /
not attempted, read from the stored outputs of the notebooks (default chapters/*.ipynb)."""
import sys

from . import progress, report


def main(argv):
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    rows = progress(argv or None)
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
