from ninja import NinjaAPI

api = NinjaAPI(title="OpenMASH API", version="1", urls_namespace="api")
