"""The JSON API: one NinjaAPI, each app adds its router."""

from ninja import NinjaAPI

api = NinjaAPI(title="Zhongfu API", version="1", urls_namespace="api")
