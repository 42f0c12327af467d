"""The notice a customer consents to before uploading ID card images (PIPL arts. 29-30).

Its version is settings.ID_CONSENT_NOTICE_VERSION; a changed text gets a new version, and
consents record the version they were given to.
"""

from django.conf import settings

NOTICE_ZH = """\
为办理短信签名在中国移动、中国联通、中国电信的实名报备，我们需要处理法定代表人或经办人的身份证图像（敏感个人信息）。
· 目的：仅用于短信签名实名报备；图像上会加盖“仅供短信签名实名报备使用”及日期水印。
· 接收方：平台审核人员，以及您所报备的运营商（中国移动、中国联通、中国电信）。
· 保存期限：主体关闭或审核不通过后 {days} 天内删除；撤回同意后立即删除。
· 保护措施：未加水印的原图加密存储，仅审核人员在审核时于内存中解密查看，每次查看均有记录。
您可以随时撤回同意；撤回后身份证图像将被删除，相关签名将无法报备。"""  # noqa: E501

NOTICE_EN = """\
To file your SMS signatures with China Mobile, China Unicom and China Telecom under the real-name rules, we must process the ID card images of the legal representative or agent (sensitive personal information).
· Purpose: the real-name filing of SMS signatures only; each image is stamped "for SMS signature real-name filing only" with the date.
· Recipients: the platform's reviewers, and the carriers you file with (China Mobile, China Unicom, China Telecom).
· Retention: deleted within {days} days after the entity is closed or rejected, and at once when you withdraw consent.
· Safeguards: the unwatermarked original is stored encrypted, decrypted in memory only for reviewers, and every view is logged.
You may withdraw consent at any time; the ID images are then deleted and the signatures cannot be filed."""  # noqa: E501


def notice(request=None) -> dict:
    days = settings.ID_IMAGE_RETENTION_DAYS
    return {
        "version": settings.ID_CONSENT_NOTICE_VERSION,
        "zh": NOTICE_ZH.format(days=days),
        "en": NOTICE_EN.format(days=days),
    }
