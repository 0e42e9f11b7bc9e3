"""Payments forms. Page amounts are in major units (元, "1,234.56"); the API takes minor units."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..core.errors import ValidationFailed
from ..core.money import parse_amount

METHOD_LABELS = {"card": _l("Card (Stripe)"), "bank_transfer": _l("Corporate bank transfer (对公转账)"),
                 "wallet": _l("Wallet balance")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AmountField(StringField):
    """A decimal amount in major units, parsed to minor units into `minor`."""
    minor: int | None = None

    def pre_validate(self, form):
        self.minor = None
        if not (self.data or "").strip():
            return
        try:
            self.minor = parse_amount(self.data, self.name)
        except ValidationFailed as exc:
            raise ValidationError("; ".join(exc.errors.get(self.name, []))) from None


class FundingForm(FlaskForm):
    method = RadioField(_l("Pay by"), choices=[], validators=[DataRequired(message=_l("Choose how to pay."))])
    amount = AmountField(_l("Amount"), filters=[_strip], validators=[Optional()])

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = [(m, METHOD_LABELS[m]) for m in methods]


class ConfirmBankTransferForm(FlaskForm):
    amount = AmountField(_l("Amount received"), filters=[_strip],
                         validators=[DataRequired(message=_l("Enter an amount."))])
    # Second step: the amount (minor units) the operator confirms although it differs.
    accept_difference = HiddenField()


class CorrectTransferForm(FlaskForm):
    amount = AmountField(_l("Amount actually received"), filters=[_strip],
                         validators=[DataRequired(message=_l("Enter an amount."))])
    reason = TextAreaField(_l("Reason for the correction"), filters=[_strip],
                           validators=[DataRequired(message=_l("Say why.")), Length(max=500)])


class ReturnTransferForm(FlaskForm):
    reason = TextAreaField(_l("How the money was returned"), filters=[_strip],
                           validators=[DataRequired(message=_l("Say why.")), Length(max=500)],
                           description=_l("e.g. the bank's return reference; the payer reads this."))


class AskPayerForm(FlaskForm):
    message = TextAreaField(_l("Question to the payer"), filters=[_strip],
                            validators=[DataRequired(message=_l("Say why.")), Length(max=500)])


class PayoutRequestForm(FlaskForm):
    amount = AmountField(_l("Amount to withdraw"), filters=[_strip],
                         validators=[DataRequired(message=_l("Enter an amount."))])


class ApprovePayoutForm(FlaskForm):
    reference = StringField(_l("Bank transaction reference"), filters=[_strip],
                            validators=[Optional(), Length(max=200)],
                            description=_l("Leave empty for payouts sent through Stripe."))


class RejectPayoutForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[_strip],
                           validators=[DataRequired(message=_l("Give a reason.")), Length(max=500)])


class ConnectedAccountForm(FlaskForm):
    account_id = StringField(_l("Stripe account id"), filters=[_strip],
                             validators=[DataRequired(), Length(max=255)],
                             description=_l("acct_… — payouts are then transferred to this account."))


class ReviewFlagForm(FlaskForm):
    note = TextAreaField(_l("What was done"), filters=[_strip],
                         validators=[DataRequired(message=_l("Say what was done about it.")), Length(max=500)])


class PayoutAccountForm(FlaskForm):
    bank_name = StringField(_l("Bank and branch"), filters=[_strip], validators=[Length(max=100)],
                            description=_l("e.g. 中国工商银行武汉洪山支行"))
    account_number = StringField(_l("Account number"), filters=[_strip], validators=[Length(max=60)])
    holder_name = StringField(_l("Account holder"), filters=[_strip], validators=[Length(max=100)],
                              description=_l("The name on the account, as verified."))
