# The README's two commands are `make demo` and `make test`.
.PHONY: demo test install bench lint format

PORT ?= 8000

demo:  ## install and run the console in its embedded default, demo accounts printed
	@scripts/install.sh
	@uv run --frozen python manage.py demo --port $(PORT)

test:  ## install and run lint, types, migrations check and the whole test suite
	@scripts/test.sh

bench:  ## benchmarks; each prints its figures beside baselines measured in the same run
	@scripts/bench.sh

format:
	uv run ruff format . && uv run ruff check --fix .
