"""志愿服务记录证明: the service-record certificate of the 2020 Measures (MCA Order 67, Arts. 14–17).

- ``domain``: pure rules — the certificate number, the verification code, the snapshot.
- ``pdf``: the printable certificate (reportlab, an embedded CJK TrueType font, a QR code).
- ``handlers``: ``IssueCertificate``, ``VerifyCertificate``, ``RevokeCertificate``; ``wire(host)``.
"""
