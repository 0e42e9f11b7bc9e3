"""Images and PDFs of a bounty entry are previewed where the entry is judged (its page, the judging
and comparison pages): only its authors and the poster's side get them, images locked in a
script-free sandbox, PDFs framable by this site's own pages only, everything else a download."""
from __future__ import annotations

import re

from marketplace.bounties.models import BountyReview
from marketplace.extensions import db
from tests.factories import login, make_operator, make_user, png_bytes
from tests.factories_bounties import enter, pass_deadline, pass_selection, post_bounty
from tests.factories_orgs import PDF_BYTES


def _entry(client):
    poster = make_user()
    task = post_bounty(client, poster, structure="single", prizes=(10_000,))
    solver, body = enter(client, task, files=[("草图.png", png_bytes()), ("方案.pdf", PDF_BYTES),
                                              ("notes.txt", b"plain words\n")])
    return task, poster, solver, body


def test_entry_page_previews_images_and_pdfs_for_the_author_and_the_poster(app, client):
    task, poster, solver, body = _entry(client)
    for user in (solver, poster):
        browser = app.test_client()
        login(browser, user)
        html = browser.get(f"/submissions/{body['id']}").get_data(as_text=True)
        assert 'data-testid="preview-image"' in html and 'data-testid="preview-pdf-frame"' in html
        assert "<script" not in html.split('data-testid="file-previews"')[1].split("</div>")[0]
        image = re.search(r'<img src="([^"]+\?preview=1)" alt="草图.png"', html).group(1)
        pdf = re.search(r'<iframe src="([^"]+\?preview=1)"', html).group(1)
        shown = browser.get(image)
        assert shown.status_code == 200 and shown.mimetype == "image/png"
        assert not shown.headers.get("Content-Disposition", "").startswith("attachment")
        assert "sandbox" in shown.headers["Content-Security-Policy"]
        framed = browser.get(pdf)
        assert framed.status_code == 200 and framed.data == PDF_BYTES
        assert framed.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
        assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert framed.headers["X-Content-Type-Options"] == "nosniff"
        assert browser.get(pdf.replace("?preview=1", "")).headers["Content-Disposition"].startswith("attachment")
        # A text file is never shown inline, even when asked.
        text_id = next(f["id"] for f in body["files"] if f["name"] == "notes.txt")
        text = browser.get(f"/submissions/files/{text_id}?preview=1")
        assert text.headers["Content-Disposition"].startswith("attachment")
        assert f"/submissions/files/{text_id}?preview=1" not in html
    # Anyone else: the same 404 for the page and for every preview URL.
    for outsider in (make_user(), None):
        browser = app.test_client()
        if outsider is not None:
            login(browser, outsider)
        assert browser.get(f"/submissions/{body['id']}").status_code == 404
        for f in body["files"]:
            assert browser.get(f"/submissions/files/{f['id']}?preview=1").status_code == 404


def test_judging_and_compare_pages_preview_the_entries(app, client):
    task, poster, solver, body = _entry(client)
    login(client, poster)
    judging = client.get(f"/tasks/{task.id}/judging").get_data(as_text=True)
    assert 'data-testid="preview-image"' in judging and 'data-testid="preview-pdf"' in judging
    assert 'alt="草图.png"' in judging
    compare = client.get(f"/tasks/{task.id}/judging/compare", query_string={"s": body["id"]}).get_data(as_text=True)
    assert 'data-testid="preview-image"' in compare and 'data-testid="preview-pdf-frame"' in compare
    login(client, solver)
    assert client.get(f"/tasks/{task.id}/judging").status_code == 404


def test_operator_review_page_previews_the_entries_while_the_bounty_is_in_review(app, client):
    task, poster, solver, body = _entry(client)
    pass_deadline(task)
    pass_selection(task)
    review = db.session.scalar(db.select(BountyReview))
    operator = app.test_client()
    login(operator, make_operator())
    page = operator.get(f"/operator/bounty-reviews/{review.id}").get_data(as_text=True)
    assert 'data-testid="preview-image"' in page and 'data-testid="preview-pdf-frame"' in page
    image = re.search(r'<img src="([^"]+\?preview=1)" alt="草图.png"', page).group(1)
    shown = operator.get(image)
    assert shown.status_code == 200 and shown.mimetype == "image/png"
