from zhongfu.common import personal_data as pd
from zhongfu.common.money import fen_to_yuan_text, yuan_to_fen


def test_masks():
    assert pd.mask_name("张三") == "张*"
    assert pd.mask_name("欧阳娜娜") == "欧***"
    assert pd.mask_id_number("330106198001011234") == "330106********1234"
    assert pd.mask_phone("13812345678") == "138****5678"


def test_encryption_round_trip_and_nonce():
    a, b = pd.encrypt("330106198001011234"), pd.encrypt("330106198001011234")
    assert a != b  # a fresh nonce each time: equal values do not look equal at rest
    assert pd.decrypt(a) == pd.decrypt(b) == "330106198001011234"
    assert "330106198001011234" not in a


def test_lookup_hash_is_keyed_and_normalised(settings):
    h = pd.lookup_hash("33010619800101123x")
    assert h == pd.lookup_hash("33010619800101123X ")
    settings.ZHONGFU_LOOKUP_KEY = "another key"
    assert pd.lookup_hash("33010619800101123X") != h


def test_money():
    assert yuan_to_fen("1,300.50") == 130050
    assert yuan_to_fen("0.01") == 1
    assert fen_to_yuan_text(130050) == "1,300.50"
    assert fen_to_yuan_text(-5) == "-0.05"
