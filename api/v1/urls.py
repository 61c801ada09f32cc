from api.v1.app import api

app_name = api.urls_namespace
urlpatterns = api.urls[0]
