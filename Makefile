# The README's two commands are `make demo` and `make test`; `make serve` runs production.
.PHONY: demo test install bench lint format serve faults

PORT ?= 8000
# Options for the fault drills, e.g. FAULTS="--only redis,daphne --ports 18400-18499".
FAULTS ?=

demo:  ## install and run the console in its embedded default, demo accounts printed
	@scripts/install.sh
	@uv run --frozen python manage.py demo --port $(PORT)

test:  ## install and run lint, types, migrations check and the whole test suite
	@scripts/test.sh

serve:  ## the production layout (nginx, WEB_PROCESSES daphnes, worker, beat) on DATABASE_URL, REDIS_URL
	@scripts/serve.sh

faults:  ## the fault drills against a layout of their own; results into docs/operations.md
	@scripts/faults.sh $(FAULTS)

bench:  ## benchmarks; each prints its figures beside baselines measured in the same run
	@scripts/bench.sh

format:
	uv run ruff format . && uv run ruff check --fix .
