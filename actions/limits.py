"""How many chances a customer gets before a person takes over.

Its own module because both the verification form (which counts) and the handoff
(which names the reason) need it, and the handoff is imported by the forms.
"""

# Wrong answers (a real account number with a postcode or email not on file) before
# verification stops: a guessing limit. Answers that cannot be checked at all are
# misses instead: the second in a row brings a person (actions/fallback.py).
MAX_FAILED_VERIFICATIONS = 3
