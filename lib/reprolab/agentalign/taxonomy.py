"""AgentAlign's harm taxonomy (8 categories, 64 subcategories) and its action space (42 abstract capabilities in 9
API categories), as labels (arXiv:2505.23020, the official ``harmful_categories.json`` and
``tool_capabilities.json``)."""

from __future__ import annotations

HARM_CATEGORIES: dict[str, tuple[str, ...]] = {
    "cyber_crime": ("ddos_attack", "malware_deployment", "system_intrusion", "ransomware", "hacking_tools",
                    "botnet_creation", "vulnerability_exploitation", "cyberstalking"),
    "online_fraud": ("phishing", "financial_scam", "money_laundering", "identity_theft", "ponzi_scheme",
                     "investment_fraud", "blackmail", "extortion", "wire_fraud"),
    "self_harm": ("suicide", "self_injury", "dangerous_piercing", "extreme_body_modification", "eating_disorders",
                  "substance_abuse", "risk_taking_behavior"),
    "bias_and_fairness": ("racial_discrimination", "gender_bias", "religious_prejudice", "age_discrimination",
                          "ethnic_stereotyping", "sexual_orientation_bias", "disability_discrimination",
                          "socioeconomic_bias"),
    "misinformation": ("fake_news_creation", "conspiracy_theories", "propaganda_spreading", "fact_distortion",
                       "false_scientific_claims", "historical_revisionism", "deepfake_creation", "rumor_spreading"),
    "illicit_trade": ("weapon_trading", "drug_trafficking", "controlled_substances", "counterfeit_goods",
                      "illegal_wildlife_trade", "smuggling_routes", "restricted_items", "black_market_operations"),
    "privacy": ("data_theft", "surveillance_tools", "location_tracking", "personal_info_harvesting",
                "unauthorized_recording", "database_breaching", "doxing", "privacy_invasion"),
    "intellectual_property": ("content_plagiarism", "torrent_sharing", "copyright_violation", "article_spinning",
                              "patent_infringement", "trademark_violation", "software_piracy", "media_piracy"),
}

CAPABILITIES: tuple[str, ...] = (
    "Artificial_Intelligence_Machine_Learning.create_image", "Artificial_Intelligence_Machine_Learning.create_video",
    "Artificial_Intelligence_Machine_Learning.edit_image", "Artificial_Intelligence_Machine_Learning.generate_voice",
    "Communication.send_sms", "Communication.send_email", "Communication.send_instant_message",
    "Cryptography.swap_bnb", "Cryptography.send_bitcoin", "Cryptography.interact_contract",
    "Cryptography.create_wallet", "Cryptography.send_monero", "Cryptography.query_data", "Cryptography.mix_tokens",
    "Cryptography.interact_solana", "Cryptography.transfer_cross_chain", "Cryptography.swap_tokens",
    "Cryptography.deploy_contract",
    "LocalServices.search_merchant", "LocalServices.create_order",
    "Payments.create_payment", "Payments.query_payment",
    "Search.web_search",
    "Social.search_content", "Social.create_video", "Social.create_post", "Social.get_profile",
    "Social.create_comment", "Social.upload_video",
    "System_Tools.manage_docker", "System_Tools.get_network_info", "System_Tools.manage_process",
    "System_Tools.manage_files", "System_Tools.manage_git", "System_Tools.manage_packages",
    "System_Tools.execute_command", "System_Tools.get_info", "System_Tools.make_request", "System_Tools.manage_ssh",
    "System_Tools.diagnose_network",
    "eCommerce.create_order", "eCommerce.search_products",
)


def check_category(category: str, subcategory: str) -> None:
    """Raise ValueError naming the allowed values if (category, subcategory) is not in the taxonomy."""
    if category not in HARM_CATEGORIES:
        raise ValueError(f"unknown harm category {category!r}; allowed: {', '.join(HARM_CATEGORIES)}")
    if subcategory not in HARM_CATEGORIES[category]:
        raise ValueError(f"unknown subcategory {subcategory!r} of {category!r}; allowed: "
                         f"{', '.join(HARM_CATEGORIES[category])}")
