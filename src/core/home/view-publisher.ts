/** Publishes a person's Home tab; the Slack gateway implements it with views.publish. */
export interface ViewPublisher {
  /** Publishes a person's Home tab (views.publish). Throws SlackError. */
  publishHome(userId: string, view: { type: 'home'; blocks: unknown[] }): Promise<void>;
}
