package handlers

// pageTexts are the hosted checkout page's words in one language.
type pageTexts map[string]string

func (t pageTexts) get(key string) string {
	if s, ok := t[key]; ok {
		return s
	}
	return checkoutTexts["en"][key]
}

// texts are a language's words: English and French; others fall back to
// English.
func texts(lang string) pageTexts {
	if t, ok := checkoutTexts[lang]; ok {
		return t
	}
	return checkoutTexts["en"]
}

var checkoutTexts = map[string]pageTexts{
	"en": {
		"title":              "Secure payment",
		"your_order":         "Your order",
		"subtotal":           "Subtotal",
		"shipping":           "Shipping",
		"tax":                "Tax",
		"total":              "Total",
		"time_left":          "Time left",
		"minutes_left":       "%d minutes",
		"less_than_a_minute": "less than a minute",
		"expired_short":      "expired",
		"card_number":        "Card number",
		"card_expiry":        "Expiry (MM/YY)",
		"card_cvc":           "Security code (CVC)",
		"card_name":          "Name on card",
		"email":              "Email",
		"phone":              "Mobile money phone number",
		"installments":       "Installments",
		"pay":                "Pay",
		"continue":           "Continue to the secure payment page",
		"confirm_transfer":   "I will pay by bank transfer",
		"transfer_help":      "Transfer the total to the merchant's bank account with the reference below. Your order is confirmed once the transfer arrives.",
		"reference":          "Reference",
		"cancel":             "Cancel and return to the merchant",
		"declined":           "Your payment did not go through",
		"try_again":          "You can try again below.",
		"sandbox_cards":      "Sandbox: use 4242 4242 4242 4242 (approved), 4000 0000 0000 0002 (declined), 4000 0000 0000 3220 (3-D Secure) or 4000 0000 0000 0119 (timeout), any future expiry and any CVC.",
		"sandbox_phones":     "Sandbox: a number ending in 0002 is declined, 0003 is approved after a short wait, any other is approved.",
		"processing":         "Your payment is being processed",
		"processing_help":    "This page refreshes by itself. Approve the payment on your phone if you were asked to.",
		"action":             "Your bank asks you to confirm the payment",
		"action_link":        "Continue to your bank",
		"refresh":            "Refresh",
		"paid":               "Payment received",
		"paid_help":          "Thank you. Your payment is confirmed.",
		"fee":                "Fee",
		"back":               "Return to the merchant",
		"expired":            "This payment page has expired",
		"expired_help":       "Nothing was charged. Return to the merchant to start again.",
		"cancelled":          "This payment was cancelled",
		"not_found":          "There is no payment page at this address.",
		"unavailable":        "The payment page is unavailable right now. Please try again in a moment.",
		"error":              "Something went wrong",
		"no_card_stored":     "Kasse never stores your card number.",
	},
	"fr": {
		"title":              "Paiement sécurisé",
		"your_order":         "Votre commande",
		"subtotal":           "Sous-total",
		"shipping":           "Livraison",
		"tax":                "Taxes",
		"total":              "Total",
		"time_left":          "Temps restant",
		"minutes_left":       "%d minutes",
		"less_than_a_minute": "moins d'une minute",
		"expired_short":      "expiré",
		"card_number":        "Numéro de carte",
		"card_expiry":        "Expiration (MM/AA)",
		"card_cvc":           "Cryptogramme (CVC)",
		"card_name":          "Nom sur la carte",
		"email":              "E-mail",
		"phone":              "Numéro de téléphone mobile money",
		"installments":       "Paiement en plusieurs fois",
		"pay":                "Payer",
		"continue":           "Continuer vers la page de paiement sécurisée",
		"confirm_transfer":   "Je paierai par virement bancaire",
		"transfer_help":      "Virez le total sur le compte bancaire du marchand avec la référence ci-dessous. Votre commande est confirmée à réception du virement.",
		"reference":          "Référence",
		"cancel":             "Annuler et revenir chez le marchand",
		"declined":           "Votre paiement n'a pas abouti",
		"try_again":          "Vous pouvez réessayer ci-dessous.",
		"sandbox_cards":      "Sandbox : utilisez 4242 4242 4242 4242 (accepté), 4000 0000 0000 0002 (refusé), 4000 0000 0000 3220 (3-D Secure) ou 4000 0000 0000 0119 (délai dépassé), une date future et n'importe quel CVC.",
		"sandbox_phones":     "Sandbox : un numéro finissant par 0002 est refusé, par 0003 accepté après une courte attente, tout autre accepté.",
		"processing":         "Votre paiement est en cours de traitement",
		"processing_help":    "Cette page se rafraîchit toute seule. Validez le paiement sur votre téléphone si on vous le demande.",
		"action":             "Votre banque vous demande de confirmer le paiement",
		"action_link":        "Continuer vers votre banque",
		"refresh":            "Rafraîchir",
		"paid":               "Paiement reçu",
		"paid_help":          "Merci. Votre paiement est confirmé.",
		"fee":                "Frais",
		"back":               "Revenir chez le marchand",
		"expired":            "Cette page de paiement a expiré",
		"expired_help":       "Rien n'a été débité. Revenez chez le marchand pour recommencer.",
		"cancelled":          "Ce paiement a été annulé",
		"not_found":          "Il n'y a pas de page de paiement à cette adresse.",
		"unavailable":        "La page de paiement est momentanément indisponible. Réessayez dans un instant.",
		"error":              "Une erreur s'est produite",
		"no_card_stored":     "Kasse ne conserve jamais votre numéro de carte.",
	},
}
