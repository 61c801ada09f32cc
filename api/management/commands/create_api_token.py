from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from api.services import token_create


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line", help="what the token is for")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user goes by “{username}”.")
        try:
            issued = token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(issued.secret)
