"""Settings for the tests: corsight's app and middleware, one allowed front end."""

SECRET_KEY = "corsight-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.django_project.urls"
USE_TZ = True
INSTALLED_APPS = ["corsight.django"]
MIDDLEWARE = [
    "corsight.django.middleware.CORSMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES: dict[str, dict[str, str]] = {}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"django.request": {"level": "CRITICAL"}},
}
CORSIGHT = {
    "allow_origins": ["https://app.example.com"],
    "allow_methods": ["GET", "PUT"],
    "allow_headers": ["X-Token"],
    "allow_credentials": True,
    "expose_headers": ["X-Total"],
}
