"""Unit tests for pipeline.language."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.language import detect_language

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

PARAGRAPHS = {
    "en": "The government announced on Wednesday a new package of measures to fight inflation. "
    "According to the ministry, the payments will start next month and will reach more than "
    "two million families across the country.",
    "fr": "Le gouvernement a annoncé mercredi un nouveau paquet de mesures pour lutter contre "
    "l'inflation. Selon le ministère, les aides seront versées dans les prochaines semaines et "
    "concerneront plus de deux millions de familles dans tout le pays.",
    "de": "Die Bundesregierung hat am Mittwoch ein neues Gesetz zur Förderung erneuerbarer "
    "Energien beschlossen. Nach Angaben des Ministeriums sollen die Mittel bereits im kommenden "
    "Jahr fließen, um den Ausbau von Wind- und Solaranlagen im ganzen Land zu beschleunigen.",
    "es": "El gobierno anunció este miércoles un nuevo paquete de medidas para hacer frente a la "
    "inflación. Según el ministerio de Economía, las ayudas se aplicarán a partir del próximo "
    "mes y beneficiarán a más de dos millones de familias en todo el país.",
    "it": "Il governo ha approvato ieri sera il nuovo decreto sulle pensioni. Secondo il "
    "ministro, le misure entreranno in vigore dal prossimo anno e riguarderanno più di un "
    "milione di lavoratori che hanno già maturato i requisiti.",
    "pt": "O governo anunciou nesta quarta-feira um novo pacote de medidas para conter a "
    "inflação. Segundo o ministério, as ajudas serão pagas a partir do próximo mês e vão "
    "beneficiar mais de dois milhões de famílias em todo o país.",
    "nl": "De regering heeft woensdag een nieuw pakket maatregelen aangekondigd om de inflatie "
    "te bestrijden. Volgens het ministerie worden de steunmaatregelen vanaf volgende maand "
    "uitbetaald en zullen meer dan twee miljoen gezinnen ervan profiteren.",
}


@pytest.mark.parametrize("lang", sorted(PARAGRAPHS))
def test_latin_script_paragraphs(lang: str) -> None:
    code, confidence = detect_language(PARAGRAPHS[lang])
    assert code == lang
    assert confidence >= 0.5


def test_english_with_foreign_names_stays_english() -> None:
    text = (
        "Chancellor Olaf Scholz met Emmanuel Macron and Pedro Sánchez at the Élysée Palace in "
        "Paris on Monday, where they discussed the energy crisis and the war with officials from "
        "the Bundesrat, the Assemblée nationale and the Cortes Generales."
    )
    assert detect_language(text)[0] == "en"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Правительство объявило в среду о новом пакете мер по борьбе с инфляцией.", "ru"),
        ("أعلنت الحكومة يوم الأربعاء عن حزمة جديدة من الإجراءات لمكافحة التضخم", "ar"),
        ("政府周三宣布了一项新的应对通货膨胀的措施。", "zh"),
        ("政府は水曜日、インフレ対策の新しい措置を発表した。", "ja"),
        ("정부는 수요일 인플레이션에 대응하기 위한 새로운 조치를 발표했다", "ko"),
        ("Η κυβέρνηση ανακοίνωσε την Τετάρτη νέα μέτρα κατά του πληθωρισμού.", "el"),
        ("הממשלה הודיעה ביום רביעי על חבילת צעדים חדשה נגד האינפלציה.", "he"),
        ("सरकार ने बुधवार को महंगाई से निपटने के लिए नए उपायों की घोषणा की।", "hi"),
    ],
)
def test_script_detection(text: str, lang: str) -> None:
    assert detect_language(text)[0] == lang


def test_too_short_is_undetermined() -> None:
    assert detect_language("Hello there") == ("und", 0.0)
    code, confidence = detect_language("")
    assert code == "und" and confidence < 0.3


def test_urls_and_ids_do_not_vote() -> None:
    text = "http://example.com/a/e/o/de/la/que?id=9402E6D71239F937A15756 3 a"
    assert detect_language(text)[0] == "und"


def test_seeds_are_english() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        code, confidence = detect_language(path.read_text(encoding="utf-8"))
        assert code == "en", path.name
        assert confidence > 0.6, path.name
