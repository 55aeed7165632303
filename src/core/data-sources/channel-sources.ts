/**
 * Why this file exists: which configured data source a channel's tasks may read. One source per
 * channel, chosen by an admin (`/data-engineer sources use <name>`); only the source's name is
 * stored, never its connection string. A channel without one has no data tools.
 */

export interface ChannelSource {
  sourceName: string;
  setBy: string;
  setAt: number;
}

/** SQL in src/store/channel-source-repo.ts; every query scoped by team_id. */
export interface ChannelSourceStore {
  sourceOf(teamId: string, channelId: string): Promise<ChannelSource | undefined>;
  /** Maps the channel to `sourceName`, replacing any earlier mapping. */
  useSource(teamId: string, channelId: string, sourceName: string, setBy: string): Promise<void>;
  /** Removes the mapping when it names `sourceName`; false when the channel used another or none. */
  removeSource(teamId: string, channelId: string, sourceName: string): Promise<boolean>;
}
