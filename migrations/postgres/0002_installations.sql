CREATE TABLE "enterprise_workspaces" (
	"team_id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text NOT NULL,
	"seen_at" bigint DEFAULT ((extract(epoch from clock_timestamp()) * 1000)::bigint) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "installations" (
	"installation_key" text PRIMARY KEY NOT NULL,
	"enterprise_id" text,
	"team_id" text,
	"is_enterprise_install" boolean DEFAULT false NOT NULL,
	"app_id" text,
	"bot_id" text NOT NULL,
	"bot_user_id" text NOT NULL,
	"bot_scopes" text NOT NULL,
	"bot_token_sealed" text NOT NULL,
	"token_key_id" text NOT NULL,
	"installer_user_id" text,
	"url" text,
	"installed_at" bigint DEFAULT ((extract(epoch from clock_timestamp()) * 1000)::bigint) NOT NULL,
	"updated_at" bigint DEFAULT ((extract(epoch from clock_timestamp()) * 1000)::bigint) NOT NULL
);
--> statement-breakpoint
CREATE INDEX "installations_team" ON "installations" USING btree ("team_id");--> statement-breakpoint
CREATE INDEX "installations_enterprise" ON "installations" USING btree ("enterprise_id");