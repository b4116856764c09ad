import sys
sys.path.insert(0, "/work/main/tests/integration/auth")
from test_access_table import *  # noqa

def test_dbg(server):
    d = server["principals"]["reviewer"]
    print("DETAILS", d)
    with httpx.Client(base_url=server["url"]) as c:
        r = c.get("/console/me", headers={"Cookie": f"modgate_session={d['session']}", "Accept": "application/json"})
        print("RESP", r.status_code, r.text[:200], r.request.headers)
