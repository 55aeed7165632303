CREATE TABLE "answer_queue_workers" (
	"worker_id" text PRIMARY KEY NOT NULL,
	"process_id" text NOT NULL,
	"created_at" bigint DEFAULT ((extract(epoch from clock_timestamp()) * 1000)::bigint) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "answer_stops" (
	"team_id" text NOT NULL,
	"task_id" integer NOT NULL,
	"user_id" text NOT NULL,
	"created_at" bigint DEFAULT ((extract(epoch from clock_timestamp()) * 1000)::bigint) NOT NULL,
	CONSTRAINT "answer_stops_team_id_task_id_pk" PRIMARY KEY("team_id","task_id")
);
--> statement-breakpoint
CREATE INDEX "answer_queue_workers_process" ON "answer_queue_workers" USING btree ("process_id");