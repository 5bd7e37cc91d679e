"""Certificates: who earns one, the stored PDF, re-issue, revocation and verification.

``certificate_for`` (eligibility) and ``issue_certificate`` (services) are the
calls everything else makes; ``summit.certificates.bulk`` issues a whole event in
parallel processes; ``summit.certificates.verify`` is the public check.
"""
