# make lab    install (once) and open the course in JupyterLab
# make test   install (once) and run every test: unit tests, then each chapter and each
#             solutions notebook in the smoke profile under nbval, then the browser tests
#             if Chromium is present
# make notebooks   re-execute every chapter and solutions notebook (lecture profile)
# make bench NAME=...   run a benchmark (python -m gmcourse.bench list)
# make html  render every executed chapter to build/html/ (offline; needs npm once)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: lab test notebooks bench install html

install: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=chapters

test: $(STAMP)
	GMCOURSE_PROFILE=smoke $(PY) -m pytest tests chapters solutions --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with chapters/nbval_sanitize.cfg --nbval-cell-timeout=600 -q

notebooks: $(STAMP)
	GMCOURSE_PROFILE=lecture $(PY) tools/nb.py execute

bench: $(STAMP)
	$(PY) -m gmcourse.bench $(NAME)

html: $(STAMP)
	$(PY) tools/render_html.py --out build/html
