"""One cold start, as Lambda pays it: a fresh interpreter imports a function's handler and serves
its first representative request. Prints {"import_ms", "first_ms"} as JSON."""

import json
import sys
import time

t0 = time.perf_counter()
MARKER = "BENCH-RESULT "  # handlers may print too (metrics go to stdout as EMF)
name = sys.argv[1]
request = json.loads(sys.argv[2])
module = __import__(f"functions.{name}.handler", fromlist=["lambda_handler"])
t1 = time.perf_counter()
result = module.lambda_handler(request, None)
t2 = time.perf_counter()
status = result.get("statusCode") if isinstance(result, dict) else None
print(MARKER + json.dumps({"import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t0) * 1000, "status": status,
                  "result": result if status is None else None}, default=str), flush=True)
