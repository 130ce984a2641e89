"""The order form's checks: every field's problem at once, in the reader's language,
and nothing accepted that could break a mail header."""

from __future__ import annotations

from dataclasses import replace

import pytest

from invitations.errors import OrderRejected
from invitations.models import OrderReason
from invitations.orders import OrderForm, validate_order
from tests.core.helpers import START
from tests.orders.conftest import CHANGE, FORM


def rejected(form: OrderForm) -> OrderRejected:
    with pytest.raises(OrderRejected) as caught:
        validate_order(form, languages=("fi", "sv", "en"), now=START)
    return caught.value


def codes(error: OrderRejected) -> dict[str, str]:
    return {e.field: e.code for e in error.errors}


def test_a_complete_form_is_an_order() -> None:
    order = validate_order(FORM, languages=("sv", "fi", "en"), now=START)
    assert order.company.business_id == "0112038-9"
    assert order.reason is OrderReason.NO_MAIN_USER
    assert order.services == ("smartship",) and order.order_contract
    assert order.languages == ("sv", "fi", "en")
    assert order.previous_main_user_email is None


def test_the_previous_main_user_is_kept_only_when_the_main_user_is_changed() -> None:
    assert validate_order(CHANGE, languages=("fi",), now=START).previous_main_user_email \
        == "vanha@acme.fi"
    ignored = replace(CHANGE, reason="no_main_user")
    assert validate_order(ignored, languages=("fi",), now=START).previous_main_user_name is None


def test_an_empty_form_names_every_required_field() -> None:
    error = rejected(OrderForm(smartship=True))
    assert codes(error) == {
        "company_id": "field_required", "company_name": "field_required",
        "orderer_name": "field_required", "orderer_email": "field_required",
        "main_user_first_name": "field_required", "main_user_last_name": "field_required",
        "main_user_email": "field_required", "reason": "field_required",
        "contract_number": "contract_choice_required", "terms": "terms_not_accepted",
    }


def test_the_business_id_check_digit_is_verified() -> None:
    error = rejected(replace(FORM, company_id="0112038-8"))
    assert codes(error) == {"company_id": "invalid_business_id"}
    assert "Y-tunnus" in error.errors[0].message("fi")
    assert "FO-numret" in error.errors[0].message("sv")


@pytest.mark.parametrize("field", ["company_name", "orderer_name", "main_user_first_name",
                                   "main_user_last_name"])
def test_line_breaks_in_names_are_refused(field: str) -> None:
    error = rejected(replace(FORM, **{field: "Acme\r\nBcc: victim@example.com"}))
    assert codes(error) == {field: "header_injection"}


def test_oversized_fields_are_refused() -> None:
    error = rejected(replace(FORM, company_name="A" * 201, orderer_name="B" * 101))
    assert codes(error) == {"company_name": "field_too_long", "orderer_name": "field_too_long"}


def test_bad_addresses_phone_and_reason() -> None:
    error = rejected(replace(FORM, orderer_email="olli@", main_user_email="x",
                             orderer_phone="call me", reason="please"))
    assert codes(error) == {"orderer_email": "invalid_address",
                            "main_user_email": "invalid_address",
                            "orderer_phone": "invalid_input", "reason": "invalid_input"}
    messages = {e.field: e.message("fi") for e in error.errors}
    assert "+358 40 123 4567" in messages["orderer_phone"]


def test_smartship_needs_a_contract_number_or_a_contract_order() -> None:
    error = rejected(replace(FORM, order_contract=False))
    assert codes(error) == {"contract_number": "contract_choice_required"}
    assert "sopimustunnus" in error.errors[0].message("fi")
    with_number = validate_order(replace(FORM, order_contract=False, contract_number="LOG-7"),
                                 languages=("fi",), now=START)
    assert with_number.company.contract_number == "LOG-7" and not with_number.order_contract
    without_smartship = validate_order(replace(FORM, smartship=False, order_contract=False),
                                       languages=("fi",), now=START)
    assert without_smartship.services == ()
