-- view: account_activity
-- description: One row per user with `inactive`: last sign-in more than 90 days before the crawl, or never signed in and added more than 90 days before it (false when unknown). The one definition of inactivity the identity rules and views use; change the 90 here.
SELECT connector, organization, descriptor, principal_name, access_level, license_type,
       COALESCE(paid_access, false) AS paid_access, is_guest, is_service,
       COALESCE(never_signed_in, false) AS never_signed_in, days_since_last_access, days_since_created,
       CASE WHEN days_since_last_access > 90 THEN true
            WHEN COALESCE(never_signed_in, false) AND days_since_created > 90 THEN true
            ELSE false END AS inactive
FROM users
