-- Issue 74 item 7: a session that came from the identity provider keeps the provider's refresh token (sealed), so
-- every Skyflo refresh asks the provider again: a group removed there takes effect at the next refresh.
ALTER TABLE "refresh_tokens" ADD COLUMN "provider_session_sealed" text;
