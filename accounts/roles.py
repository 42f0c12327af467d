"""Staff roles as Django groups, and the permissions each one holds.

Kept as data here and applied after every migrate (idempotent), so a fresh
database, a test database and production all have the same groups.
"""

REVIEWER = "reviewer"
ACCOUNT_MANAGER = "account_manager"
POLICY_ADMIN = "policy_admin"
FILING_CLERK = "filing_clerk"  # compliance.transitions.CLERK

QUALIFICATION_VIEWS = [
    f"qualifications.view_{model}"
    for model in ("entity", "document", "trademark", "icpapp", "ownedaddress", "partnerauthorization",
                  "idimageconsent")
]  # fmt: skip

# Carriers report no filing results: staff record test sends too (add-only, the rows are evidence).
TEST_SENDS = ["templates_app.view_testsend", "templates_app.add_testsend"]

# The timelines shown on a signature's and a template's admin page (read-only inlines need their own view
# permission: without it, only superusers saw them).
TIMELINES = ["signatures.view_signatureevent", "templates_app.view_templateevent"]

# The filings per carrier, read by reviewers and account managers (the clerk moves them, and alone sees
# the batches: who carried what to which carrier).
FILING_VIEWS = ["filings.view_filing", "filings.view_filingevent"]

# group name -> permission codenames ("app_label.codename")
STAFF_GROUPS = {
    REVIEWER: [
        "accounts.view_organization",
        "accounts.view_membership",
        "accounts.review_filings",
        *QUALIFICATION_VIEWS,
        "qualifications.view_documentaccess",
        "qualifications.view_idnumberreveal",
        "signatures.view_signature",
        "policies.view_policy",
        "templates_app.view_smstemplate",
        *TIMELINES,
        *TEST_SENDS,
        *FILING_VIEWS,
    ],
    ACCOUNT_MANAGER: [
        "accounts.view_organization",
        "accounts.view_membership",
        "accounts.view_invitation",
        "accounts.manage_assigned_customers",
        *QUALIFICATION_VIEWS,
        "signatures.view_signature",
        "templates_app.view_smstemplate",
        *TIMELINES,
        *TEST_SENDS,
        *FILING_VIEWS,
    ],
    FILING_CLERK: [
        "accounts.view_organization",
        "filings.file_with_carriers",
        *FILING_VIEWS,
        "filings.view_carrierbatch",
        "signatures.view_signature",
        "templates_app.view_smstemplate",
        "templates_app.view_testsend",
    ],
    POLICY_ADMIN: [
        "accounts.view_organization",
        "accounts.publish_policies",
        *(
            f"policies.{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in ("policy", "holiday")
        ),
        # Announcements of policy changes: written, dry-run and published here (publishing also needs
        # accounts.publish_policies, above).
        *(f"announcements.{action}_announcement" for action in ("view", "add", "change", "delete")),
    ],
}


def ensure_staff_groups(sender=None, **kwargs):
    from django.contrib.auth.models import Group, Permission

    for name, perms in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)
