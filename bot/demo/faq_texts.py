"""Each demo firm's own FAQ answers: every key in 'en' and in 'nb' (Bokmål).

Every firm answers in Bokmål too, because a customer writing Norwegian gets Norwegian
answers whatever the firm's own language is.

Keys are the response keys of the `faq` retrieval intent. Contact details are
fictional (example.* domains).
"""

from __future__ import annotations

FAQ_KEYS = (
    "opening_hours",
    "payment_methods",
    "cancel_contract",
    "contact_details",
    "change_plan",
    "moving_home",
)

NORDLYS_FAQ: dict[tuple[str, str], str] = {
    ("opening_hours", "nb"): (
        "Kundeservice er åpen mandag til fredag kl. 08–16 (norsk tid). "
        "Her i chatten kan du få hjelp når som helst, og vi følger opp saker neste virkedag."
    ),
    ("opening_hours", "en"): (
        "Our customer service is open Monday to Friday, 08:00–16:00 Norwegian time. "
        "This chat is available around the clock; cases are followed up on the next working day."
    ),
    ("payment_methods", "nb"): (
        "Du kan betale strømregningen med AvtaleGiro, eFaktura i nettbanken eller Vipps. "
        "Med AvtaleGiro trekkes beløpet automatisk på forfallsdato, så du slipper purregebyr."
    ),
    ("payment_methods", "en"): (
        "You can pay your electricity bill by direct debit (AvtaleGiro), e-invoice in your online "
        "bank, or Vipps. With AvtaleGiro the amount is drawn on the due date, so you never get a late fee."
    ),
    ("cancel_contract", "nb"): (
        "Du kan si opp strømavtalen når som helst uten gebyr, med mindre du har fastpris med bindingstid. "
        "Oppsigelsen skjer enklest ved at du bestiller strøm hos en ny leverandør; vi sender sluttavregning "
        "etter siste målerstand."
    ),
    ("cancel_contract", "en"): (
        "You can end your electricity agreement at any time free of charge, unless you have a fixed-price "
        "plan with a binding period. The simplest way is to sign up with your new supplier; we then send a "
        "final bill based on your last meter reading."
    ),
    ("contact_details", "nb"): (
        "Ring oss på 22 00 48 00 (hverdager 08–16), skriv til kundeservice@nordlys.example "
        "eller send brev til Nordlys Energi AS, Postboks 150 Sentrum, 0102 Oslo."
    ),
    ("contact_details", "en"): (
        "Call us on +47 22 00 48 00 (weekdays 08:00–16:00), e-mail kundeservice@nordlys.example, "
        "or write to Nordlys Energi AS, Postboks 150 Sentrum, 0102 Oslo, Norway."
    ),
    ("change_plan", "nb"): (
        "Du kan bytte mellom Spotpris, Fastpris 12 mnd og Grønn Spot fra den 1. i neste måned. "
        "Si fra her i chatten eller på Min side; bytte fra fastpris før bindingstiden er ute kan koste et bruddgebyr."
    ),
    ("change_plan", "en"): (
        "You can switch between Spot Price, Fixed Price 12 months and Green Spot from the 1st of next month. "
        "Tell us here or on My Page; leaving a fixed-price plan before its binding period ends may cost a break fee."
    ),
    ("moving_home", "nb"): (
        "Skal du flytte? Gi oss ny adresse, målernummer og målerstand på innflyttingsdagen, så flytter vi avtalen. "
        "Husk også å lese av måleren der du flytter fra — da betaler du bare for din egen strøm."
    ),
    ("moving_home", "en"): (
        "Moving? Send us your new address, meter number and the meter reading on the day you move in, and we "
        "move your agreement. Read the meter at your old home too, so you only pay for your own electricity."
    ),
}

FJORDNETT_FAQ: dict[tuple[str, str], str] = {
    ("opening_hours", "nb"): (
        "Fjordnett kundestøtte er bemannet mandag til fredag kl. 08–20 og lørdag kl. 10–16 (norsk tid). "
        "Utenom åpningstiden kan denne assistenten registrere en feil for deg, og en tekniker tar den først i køen."
    ),
    ("opening_hours", "en"): (
        "Fjordnett support is staffed Monday to Friday 08:00–20:00 and Saturday 10:00–16:00 (Norwegian time). "
        "Outside those hours this assistant can log a fault for you, and a technician picks it up first thing."
    ),
    ("payment_methods", "nb"): (
        "Bredbåndsfakturaen kan betales med AvtaleGiro (automatisk trekk), eFaktura i nettbanken eller kort "
        "på Mitt Fjordnett. Papirfaktura koster 39 kr per faktura, så vi anbefaler eFaktura."
    ),
    ("payment_methods", "en"): (
        "Your broadband invoice can be paid by AvtaleGiro (automatic direct debit), eFaktura in your online "
        "bank, or card on My Fjordnett. Paper invoices cost NOK 39 each, so we recommend eFaktura."
    ),
    ("cancel_contract", "nb"): (
        "Bredbåndsabonnementet har én måneds oppsigelsestid, regnet fra utgangen av inneværende måned. Fikk du "
        "rabatt mot 12 måneders binding, belastes resten av rabatten hvis du går ut tidligere. Lever ruteren "
        "tilbake innen 30 dager, så slipper du erstatningsgebyr."
    ),
    ("cancel_contract", "en"): (
        "Broadband subscriptions have one month's notice from the end of the current month. If you got a discount "
        "for a 12-month commitment, the remaining discount is charged when you leave early. Return the router "
        "within 30 days to avoid a replacement fee."
    ),
    ("contact_details", "nb"): (
        "Ring 21 09 30 00 (hverdager 08–20, lørdag 10–16), send e-post til support@fjordnett.example, "
        "eller se driftsstatus direkte på status.fjordnett.example."
    ),
    ("contact_details", "en"): (
        "Phone 21 09 30 00 (weekdays 08:00–20:00, Saturday 10:00–16:00), e-mail support@fjordnett.example, "
        "or check live service status at status.fjordnett.example."
    ),
    ("change_plan", "nb"): (
        "Du kan oppgradere hastigheten (Fiber 100, 500 eller 1000) når som helst, og endringen gjelder innen en time. "
        "Nedgradering gjelder fra neste fakturamåned. Si fra her i chatten eller bruk Mitt Fjordnett."
    ),
    ("change_plan", "en"): (
        "You can upgrade your speed (Fiber 100, 500 or 1000) at any time and it takes effect within an hour. "
        "Downgrades take effect from the next billing month. Just ask here or use My Fjordnett."
    ),
    ("moving_home", "nb"): (
        "Gi oss flyttedato og ny adresse minst tre uker før. Vi sjekker om det er fiber der; er det det, flytter vi "
        "abonnementet og bestiller installasjon, ellers tilbyr vi mobilt bredbånd i mellomtiden."
    ),
    ("moving_home", "en"): (
        "Tell us your moving date and new address at least three weeks ahead. We check whether fibre is available "
        "there; if it is, we move your subscription and book installation, otherwise we offer mobile broadband in the meantime."
    ),
}

LIGHTHOUSE_FAQ: dict[tuple[str, str], str] = {
    ("opening_hours", "nb"): (
        "Vi er tilgjengelige mandag til fredag kl. 09–17.30 og lørdag kl. 09–13 (britisk tid). "
        "Du kan melde en skade her hos assistenten når som helst, og akutte skader på bolig besvares på telefon døgnet rundt."
    ),
    ("opening_hours", "en"): (
        "Our team is available Monday to Friday 9am–5:30pm and Saturday 9am–1pm (UK time). "
        "You can start a claim with this assistant at any time, and emergency home claims are answered 24/7 by phone."
    ),
    ("payment_methods", "nb"): (
        "Du kan betale premien årlig med debet- eller kredittkort, eller månedlig med automatisk trekk (Direct Debit) uten ekstra kostnad. "
        "Vi ber aldri om kortopplysninger her i chatten."
    ),
    ("payment_methods", "en"): (
        "You can pay your premium annually by debit or credit card, or monthly by Direct Debit at no extra cost. "
        "We never ask for card details in this chat."
    ),
    ("cancel_contract", "nb"): (
        "Du kan si opp innen 14 dager etter at forsikringen startet eller ble fornyet og få alt tilbake, hvis du ikke "
        "har meldt en skade. Etter det refunderer vi ubrukt premie minus et administrasjonsgebyr på £25."
    ),
    ("cancel_contract", "en"): (
        "You can cancel within 14 days of starting or renewing your policy for a full refund if you haven't claimed. "
        "After that, we refund the unused premium minus a £25 administration fee."
    ),
    ("contact_details", "nb"): (
        "Ring 0808 157 0192 (mandag–fredag 09–17.30, lørdag 09–13), akutt skadetelefon døgnet rundt "
        "0808 157 0911, eller send e-post til help@lighthouse.example."
    ),
    ("contact_details", "en"): (
        "Call 0808 157 0192 (Monday–Friday 9am–5:30pm, Saturday 9am–1pm), 24-hour emergency claims line "
        "0808 157 0911, or e-mail help@lighthouse.example."
    ),
    ("change_plan", "nb"): (
        "Du kan bytte mellom Home Essentials og Home Plus, eller legge til tilleggsdekning som uhellsdekning, når som helst. "
        "Vi viser deg ny premie før noe endres, beregnet forholdsmessig fram til fornyelsesdatoen."
    ),
    ("change_plan", "en"): (
        "You can move between Home Essentials and Home Plus, or add cover such as accidental damage, at any time. "
        "We'll show you the new premium before anything changes, pro rata to your renewal date."
    ),
    ("moving_home", "nb"): (
        "Si fra før du flytter: ny adresse kan endre premien, og den gamle boligen er bare dekket til du flytter ut. "
        "Vi oppdaterer forsikringen fra flyttedatoen din."
    ),
    ("moving_home", "en"): (
        "Please tell us before you move: your new address can change your premium, and the old property is only "
        "covered until you move out. We'll update your policy from your moving date."
    ),
}
