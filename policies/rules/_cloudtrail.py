"""What the CloudTrail rules share: the trail's type token and where the trail is configured."""

from __future__ import annotations

TRAIL = "aws:cloudtrail/trail:Trail"
FIX_TRAIL = "the event-forwarding component creates the trail (ai-observability:eventForwarding.trail.create)"
