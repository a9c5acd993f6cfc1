-- Issue 77 item 3: an external MCP server's OAuth client information and tokens, sealed, per authorization server
-- (issuer), so credentials one issuer gave are never offered to another.
CREATE TABLE IF NOT EXISTS "external_mcp_oauth_credentials" (
	"server_id" text NOT NULL,
	"issuer" text NOT NULL,
	"client_sealed" text,
	"tokens_sealed" text,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "external_mcp_oauth_credentials_server_id_issuer_pk" PRIMARY KEY("server_id","issuer")
);
