-- Issue 77 item 3: an admin's OAuth sign-in in progress (state → server, admin, sealed PKCE verifier and discovery),
-- kept in the database so the authorization server's redirect may reach any engine replica. The state itself is not
-- stored, only its SHA-256: reading this table does not let anyone finish a sign-in.
CREATE TABLE IF NOT EXISTS "external_mcp_oauth_sign_ins" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"server_id" text NOT NULL,
	"admin_id" text NOT NULL,
	"leg_sealed" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
