from ninja import Router

router = Router(tags=["区域与网格"])
