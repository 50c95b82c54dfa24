# make lab    install (once) and open the course in JupyterLab
# make test   install (once) and run every test: unit tests, then each chapter and each
#             solutions notebook in the smoke profile under nbval, then the browser tests
#             if Chromium is present
# make notebooks   re-execute every chapter and solutions notebook (lecture profile)
# make bench NAME=...   run a benchmark (python -m gmcourse.bench list); ARGS=... its options
# make full  the GPU track: every image family on 28x28 MNIST for a time budget each
#            (BUDGET=50 seconds by default; GMCOURSE_PROFILE=smoke rehearses it on a CPU)
# make html  render every executed chapter to build/html/ (offline; needs npm once)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt pyproject.toml | cksum | cut -d' ' -f1)

# JupyterLab refuses to run as root unless told to (containers, hosted notebook services)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_ARGS ?=
BUDGET ?=

.PHONY: lab test notebooks bench full install html

install: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=chapters $(ROOT_FLAG) $(LAB_ARGS)

# Tests run in one process with torch's usual threads (GMCOURSE_THREADS, else up to 4);
# the longest claim tests train their independent runs side by side, in processes of one
# thread each (tests/_pool.py), the setting the stored outputs were made with: a GAN's
# training amplifies the rounding of a sum, so its per-seed results change with the thread
# count. `make test TEST_JOBS=N` shares the test files out over N processes instead
# (pytest-xdist), each file (each notebook) whole and one thread each.
TEST_JOBS ?= 1
XDIST = $(if $(filter 1,$(TEST_JOBS)),,GMCOURSE_THREADS=1)
XDIST_ARGS = $(if $(filter 1,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadfile)

test: $(STAMP)
	GMCOURSE_PROFILE=smoke $(XDIST) $(PY) -m pytest tests chapters solutions $(XDIST_ARGS) \
	  --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with chapters/nbval_sanitize.cfg --nbval-cell-timeout=600 -q

notebooks: $(STAMP)
	GMCOURSE_PROFILE=lecture GMCOURSE_THREADS=1 $(PY) tools/nb.py execute

bench: $(STAMP)
	$(PY) -m gmcourse.bench $(NAME) $(ARGS)

full: $(STAMP)
	$(PY) -m gmcourse.bench full $(if $(BUDGET),--budget-s $(BUDGET)) $(ARGS)

html: $(STAMP)
	$(PY) tools/render_html.py --out build/html
