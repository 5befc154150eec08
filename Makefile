# The two commands: `make run` (set up everything, then run the whole system) and `make test`.
# Everything else here is a step of those two, usable on its own.

SHELL := /bin/bash
.DEFAULT_GOAL := run

APP_PY   := .venv/app/bin/python
ENGINE   := .venv/engine/bin
RASA     := PYTHONPATH=$(CURDIR) TF_CPP_MIN_LOG_LEVEL=2 $(ENGINE)/rasa
MODEL    := models/assistant.tar.gz
# What the model is trained from: when any of it is newer than the model, the model of exactly
# these inputs comes from the model cache (scripts/model-cache, keyed by the sha256 of every
# input), else it is trained and cached. `make train` always trains.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -type f 2>/dev/null) \
                   $(shell find bot/nlu -type f -not -path '*/__pycache__/*' 2>/dev/null) \
                   requirements/engine.lock
TRAIN    := $(RASA) train --force --fixed-model-name assistant --out models

.PHONY: run run-scaled test setup envs db train shell chat validate test-python test-engine \
        test-rasa browser clean audit

## make run: environments, database, demo data, model (when stale), then every process.
run: setup
	$(APP_PY) -m bot run

## make run-scaled: the production shape on this machine: two gateways, two Rasa servers (each
## with its action server) sharing PostgreSQL (database bpo_scaled) and Redis.
SCALED_DB_NAME ?= bpo_scaled
SCALED_ENV := DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/$(SCALED_DB_NAME) \
              REDIS_URL=redis://127.0.0.1:6379/0 RASA_SERVERS=2 GATEWAYS=2
run-scaled: envs $(MODEL)
	@psql -h 127.0.0.1 -U postgres -d test -tAc "SELECT 1 FROM pg_database WHERE datname='$(SCALED_DB_NAME)'" \
		| grep -q 1 || createdb -h 127.0.0.1 -U postgres $(SCALED_DB_NAME)
	$(SCALED_ENV) $(APP_PY) -m bot migrate
	$(SCALED_ENV) $(APP_PY) -m bot seed-demo
	$(SCALED_ENV) $(APP_PY) -m bot run

## make test: every test in tests/ (SQLite and PostgreSQL), then Rasa's own checks. The tests
## run in two lanes side by side (scripts/test-lanes: the real-Rasa tests, tests/engine and
## `rasa test` beside the other Python tests); TEST_LANES=1 runs them one after another.
test: setup browser
	@scripts/test-lanes
	@$(MAKE) --no-print-directory audit

setup: envs db $(MODEL)

envs:
	@scripts/ensure-env engine
	@scripts/ensure-env app

db: envs
	$(APP_PY) -m bot migrate
	$(APP_PY) -m bot seed-demo

train: envs
	@key=$$(scripts/model-cache key) && $(TRAIN) && scripts/model-cache store $(MODEL) $$key

$(MODEL): $(TRAINING_INPUTS) | envs
	@scripts/model-cache restore $(MODEL) || { \
		key=$$(scripts/model-cache key) && $(TRAIN) && touch $(MODEL) && \
		scripts/model-cache store $(MODEL) $$key; }

## make shell: chat from the terminal with the assistant that `make run` started.
shell chat: envs
	$(APP_PY) -m bot chat

browser:
	@scripts/install-browser

## make test-python: the Python tests of tests/ (app environment); PYTEST_ARGS narrows them,
## e.g. PYTEST_ARGS="-m e2e" (only those starting a real Rasa server).
test-python: envs
	$(APP_PY) -m pytest $(PYTEST_ARGS)

test-engine: envs
	PYTHONPATH=$(CURDIR) $(ENGINE)/python -m pytest tests/engine -q -p no:cacheprovider

## make audit: known vulnerabilities in both lock files (pip-audit; exceptions with reasons in
## requirements/audit-exceptions.txt). Says loudly when no advisory data can be reached.
audit: envs
	scripts/audit

validate: envs
	$(RASA) data validate --fail-on-warnings

test-rasa: validate $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml \
		--fail-on-prediction-errors --out results/core
	$(RASA) test core --model $(MODEL) --stories tests/test_stories_nb.yml \
		--fail-on-prediction-errors --out results/core_nb

clean:
	rm -rf results artifacts var/log

## make bench-serve: serving speed of the full stack against Rasa direct, handoff latency and
## idle-connection capacity (benchmarks/serve; results in benchmarks/results/serve.json; about
## 8 minutes). Options through BENCH_SERVE_ARGS, e.g. "--rasa-servers 2", "--profile 20",
## or "--cold-start" (fresh clone to first answer: trains a model, run it on a quiet machine).
.PHONY: bench-soak
## make bench-soak: 200 simulated customers and 5 agents for 10 minutes on the whole system
## (loopback only; benchmarks/soak): errors, lost or duplicated messages, memory of each
## process at start and end, into benchmarks/results/soak.json. Shorter runs through
## BENCH_SOAK_ARGS, e.g. "--customers 20 --agents 2 --minutes 1 --output /tmp/soak.json".
bench-soak: envs $(MODEL)
	nice -n 10 $(APP_PY) -m benchmarks.soak $(BENCH_SOAK_ARGS)

.PHONY: bench-reports
## make bench-reports: every report on PostgreSQL with 100,000 conversations and 1,000,000
## messages for one tenant (benchmarks/reports; results in benchmarks/results/reports.json;
## target: each report within 1 s). Options through BENCH_REPORTS_ARGS, e.g. "--conversations 10000 --messages 100000".
bench-reports: envs
	nice -n 5 $(APP_PY) -m benchmarks.reports $(BENCH_REPORTS_ARGS)

.PHONY: bench-serve
bench-serve: envs $(MODEL)
	$(APP_PY) -m benchmarks.serve $(BENCH_SERVE_ARGS)

## make bench-nlu: the NLU pipeline of NLU_CONFIG (default config.yml) on BANKING77: full data,
## 10 examples per intent, unknown-intent curve (3 splits), Rasa's default pipeline as baseline
## (benchmarks/nlu; results merged into benchmarks/results/nlu.json). Run it on a quiet machine.
## Options through BENCH_NLU_ARGS, e.g. "--settings few_shot --baseline ''".
NLU_CONFIG ?= config.yml
.PHONY: bench-nlu
bench-nlu: envs
	PYTHONPATH=$(CURDIR) TF_CPP_MIN_LOG_LEVEL=2 nice -n 10 $(ENGINE)/python -m benchmarks.nlu.run \
		--config $(NLU_CONFIG) $(BENCH_NLU_ARGS)
