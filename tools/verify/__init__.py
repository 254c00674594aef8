"""``python -m tools.verify <stack>``: prove that the deployed stack works (governance chain, an end-to-end
probe event, signal liveness) and say why when it does not. Entry point: :mod:`tools.verify.cli`."""
