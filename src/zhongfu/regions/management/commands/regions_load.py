from django.conf import settings
from django.core.management.base import BaseCommand

from zhongfu.regions.services import regions_load


class Command(BaseCommand):
    help = "Load the city's districts and streets (MCA data) and generated communities."

    def handle(self, *args, **options):
        result = regions_load(city_code=settings.ZHONGFU_CITY_CODE)
        self.stdout.write(f"regions: {result['created']} created (data as of {result['data_as_of']})")
