"""CrossGuard policy pack shared by ``pulumi preview --policy-pack policies`` and the offline plan."""
