import factory

from accounts.models import Membership, Organization, User

PASSWORD = "Correct-Horse-Battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    full_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.OWNER


def make_entity(**fields):
    """An entity row, made directly (tests make many): the organization's first is its own, as
    qualifications.services.entity_create makes it; any other is a partner unless ``is_own``."""
    from qualifications.models import Entity

    organization = fields.get("organization") or Organization.objects.get(pk=fields["organization_id"])
    fields.setdefault("is_own", not Entity.objects.filter(organization=organization, is_own=True).exists())
    return Entity.objects.create(**fields)


def review_reviewer(email="walker@platform.cn"):
    """A reviewer for walking applications through the review (made once per test database)."""
    from django.contrib.auth.models import Group

    from accounts import roles

    user = User.objects.filter(email=email).first()
    if user is None:
        user = UserFactory(email=email, is_staff=True)
        roles.ensure_staff_groups()
        user.groups.add(Group.objects.get(name=roles.REVIEWER))
    return user


def walk(application, to_status: str, *, reviewer=None, second=None, codes=None):
    """Move a submitted application on to ``to_status`` the way it happens: a reviewer claims it and
    decides (a second reviewer where four-eyes applies). Returns the application."""
    from compliance import transitions as t
    from review import kinds
    from review import services as review

    reviewer = reviewer or review_reviewer()
    if to_status == application.status:
        return application
    review.claim(application, reviewer=reviewer)
    if to_status == t.IN_REVIEW:
        return application
    decision = {t.APPROVED: t.APPROVE, t.AWAITING_SECOND: t.APPROVE, t.CHANGES_REQUESTED: t.REQUEST_CHANGES,
                t.REJECTED: t.REJECT}[to_status]  # fmt: skip
    default_codes = {t.REQUEST_CHANGES: ("REV_TEMPLATE_CONTENT",), t.REJECT: ("REV_TEMPLATE_CONTENT",)}
    if application._meta.model_name == "signature":
        default_codes = {t.REQUEST_CHANGES: ("REV_SIGNATURE_MISLEADING",), t.REJECT: ("REV_SIGNATURE_MISLEADING",)}
    review.decide(application, reviewer=reviewer, decision=decision, ticked=kinds.manual_codes(application),
                  reason_codes=codes if codes is not None else default_codes.get(decision, ()))  # fmt: skip
    if application.status == t.AWAITING_SECOND and to_status == t.APPROVED:
        second = second or review_reviewer("second@platform.cn")
        review.claim(application, reviewer=second)
        review.decide(application, reviewer=second, decision=t.APPROVE, ticked=kinds.manual_codes(application))
    return application
