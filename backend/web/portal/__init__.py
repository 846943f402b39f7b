"""The citizens' portal (D2.2a, D4-D5, D10-D11): send a report, follow it, read public answers.

Plain server-rendered pages, Vietnamese, for a 360 px phone first. Every form works without
JavaScript; `static/portal/portal.js` improves the report form (map picker, phone location,
sending through `POST /api/v1/reports` without a page reload, files kept on an error). Both paths
call the same service (`submissions.submit_citizen_report`), under the same rate limit, with an
Idempotency-Key made per attempt and reused when the same attempt is sent again.

Nothing personal is ever written into a public page or payload: tracking pages (the reporter's
own, found by code and phone) are `no-store`; public results come from `public_results`, which
never returns a name, phone or e-mail. Pages carry a strict Content-Security-Policy (scripts only
from this server, no inline script), and Jinja autoescaping is never bypassed.

One module per job, all on the one blueprint `bp` (`blueprint.py`):

- `common.py`: security headers and CSP on every answer, date filters, Jinja globals;
- `errors.py`: the portal's own error pages (HTML and Vietnamese, JSON for the map's data);
- `assets.py`: CSS/JS and the vendored Leaflet, versioned by hash and gzipped; tile settings;
- `wording.py`: a report's state as a citizen reads it, durations from the budgets in force;
- `submit.py`: Gửi phản ánh, the form and its checks (D5), and the map picker's place lookup;
- `track.py`: Tra cứu, one's own report by code and phone, supplement and feedback (D7.2b, D11);
- `results.py`: Kết quả công khai, the published answers, their map and the boundaries (D10.2).
"""

from backend.web.portal import assets, common, errors, results, submit, track  # noqa: F401
from backend.web.portal.blueprint import bp

__all__ = ["bp"]
