"""Whether the image records a member can list show their storage locations (OSSN-0065, OSSN-0090).

One authenticated GET of the first 100 images, and only counts are kept: how many were listed,
owned by the project, and carry ``locations`` or ``direct_url``; never a location itself.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget, fetch_json


def image_facts(
    session: Any, root: str, project_id: str | None, timeout: int, budget: Budget | None = None
) -> dict[str, Any]:
    """Whether image records show their storage locations (OSSN-0065, OSSN-0090); one GET as the tenant."""
    url = root + "v2/images?limit=100"
    status, _headers, body, error = fetch_json(session, url, timeout, authenticated=True, budget=budget)
    images = body.get("images") if isinstance(body, dict) else None
    if body is not None and not isinstance(images, list):
        error = error or 'not an image list: no list under "images"'
    images = [image for image in images if isinstance(image, dict)] if isinstance(images, list) else []
    return {
        "url": url,
        "http_status": status,
        "error": error,
        "listed": len(images),
        "owned": sum(1 for image in images if image.get("owner") == project_id),
        "with_locations": sum(1 for image in images if image.get("locations")),
        "with_direct_url": sum(1 for image in images if image.get("direct_url")),
    }


def images_not_read(root: str, reason: str) -> dict[str, Any]:
    """The images' record when the list is not requested (the token may not go there), with why."""
    return {
        "url": root + "v2/images?limit=100",
        "http_status": None,
        "error": reason,
        "listed": 0,
        "owned": 0,
        "with_locations": 0,
        "with_direct_url": 0,
    }
