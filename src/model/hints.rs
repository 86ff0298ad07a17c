//! What to do about the service's error codes: one table, shared by
//! service errors, order errors and line item errors.

/// The code of a 401 that refuses an App+User token without the MFA claim
/// (since April 2026). A fresh token from the same sign-in carries the same
/// claims, so neither a refresh nor a repeat helps.
pub(crate) const MFA_REQUIRED: i64 = 900_421;

/// A short hint at what to do about a Partner Center error code, for the
/// codes whose fix is not obvious from their description. From the error
/// code tables of the 2023 documentation, and the codes Partner Center
/// added by 2026.
pub(crate) fn for_code(code: i64) -> Option<&'static str> {
    Some(match code {
        400_019 => {
            "the availability was reissued: look it up again, put its new catalog item ID in the cart with update_cart, and check out again"
        }
        400_041 => {
            "a new-commerce add-on needs its base: put the base in the same cart as a line item of its own (NewCart::line_item_with_new_commerce_addons), or buy the add-on for a customer who has the base"
        }
        2006 | 2030 => {
            "the partner may not sell this offer, or is not set up for the customer's country: check the partner's enrolment in Partner Center"
        }
        20_000 => "no such order: check the order ID and the customer ID",
        800_022 | 800_024 | 800_026 | 800_062 => {
            "the customer or subscription is not eligible for this transaction: check the offer's eligibility rules before buying"
        }
        800_023 | 800_025 => {
            "the credit line is too low for this purchase: ask for a higher credit line, or buy less"
        }
        800_071 => "number the line items from 0 to the count minus 1, without gaps",
        800_073 | 800_074 => {
            "the customer's account is under review: retry in a few days, not in seconds"
        }
        800_075 => "the customer's account was not approved: contact Partner Center support",
        800_086 => "the customer's tenant lacks tags the offer requires",
        900_128 | 900_129 => {
            "metered SaaS needs an active Azure plan: buy an Azure plan for the customer first"
        }
        900_169 => "use the partner's or the customer's market currency",
        900_206 => {
            "accept the partner attestation: NewCart::partner_on_record_attestation_accepted(true), and CartLineItem::attestation_accepted(true) for offers that enforce one"
        }
        900_242 => {
            "the custom term end date is not aligned: take one from the subscriptions' customTermEndDates list"
        }
        900_252..=900_254 => {
            "attach the purchase order: the PO file, a tender link or file, and valid PO metadata"
        }
        900_275 => {
            "the quantity is outside the offer's range: see the SKU's minimumQuantity and maximumQuantity"
        }
        900_308 => "the signed-in user lacks the privileges: use an admin agent or a global admin",
        900_309 => "Conditional Access blocked the call: check the tenant's policies for this app",
        900_312..=900_315 | 900_317 | 900_318 => {
            "check the provisioning context: scope (shared or single), the entitlementId or subscriptionId, and that the Azure plan is active"
        }
        900_322 => "savings plans are not sold in the integration sandbox",
        900_323 => "a savings plan takes the partner of record of its Azure plan",
        900_329 => "this endpoint refuses app-only tokens: call it with an App+User token",
        // Added by 2026.
        900_154 => {
            "the reseller's PLA ID is not linked: link the indirect reseller's Partner Location Account ID in Partner Center, then buy again"
        }
        900_416 => {
            "the customer's account is locked for transactions: nothing can be bought for it until Microsoft unlocks it; ask Partner Center support"
        }
        900_419 => {
            "the customer is over its limit of subscriptions: cancel unused subscriptions or ask Partner Center support to raise the limit"
        }
        900_420 => {
            "the token is for the retired graph.windows.net audience: request one for Partner Center's (scope https://api.partnercenter.microsoft.com/.default, or .../user_impersonation for App+User)"
        }
        MFA_REQUIRED => {
            "App+User calls need multi-factor authentication (MFA) since April 2026, and this token lacks the MFA claim (amr has no mfa): sign the user in again with multi-factor authentication and use the new token (a refresh does not help); app-only tokens are not affected"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_new_code_of_the_2023_tables_has_a_hint() {
        let codes = [
            400_019, 400_041, 2006, 2030, 20_000, 800_022, 800_023, 800_024, 800_025, 800_026,
            800_062, 800_071, 800_073, 800_074, 800_075, 800_086, 900_128, 900_129, 900_169,
            900_206, 900_242, 900_252, 900_253, 900_254, 900_275, 900_308, 900_309, 900_312,
            900_315, 900_317, 900_318, 900_322, 900_323, 900_329,
        ];
        for code in codes {
            assert!(for_code(code).is_some(), "{code}");
        }
        assert!(for_code(800_074).unwrap().contains("days"));
        assert!(for_code(900_329).unwrap().contains("App+User"));
        assert_eq!(for_code(900_316), None);
    }

    #[test]
    fn the_codes_added_by_2026_have_hints() {
        let expected = [
            (900_416, "locked"),
            (900_419, "limit of subscriptions"),
            (900_420, "graph.windows.net"),
            (900_154, "PLA ID"),
            (900_421, "multi-factor authentication"),
        ];
        for (code, words) in expected {
            let hint = for_code(code).unwrap_or_else(|| panic!("{code} has no hint"));
            assert!(hint.contains(words), "{code}: {hint}");
        }
        let mfa = for_code(900_421).unwrap();
        assert!(
            mfa.contains("MFA") && mfa.contains("sign the user in again"),
            "{mfa}"
        );
        assert!(mfa.contains("app-only tokens are not affected"), "{mfa}");
        assert_eq!(for_code(800_002), None);
    }
}
