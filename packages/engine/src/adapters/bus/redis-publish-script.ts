/**
 * The Lua script that publishes one event of a run, and the command it becomes on the publisher connection
 * (redis-event-bus.ts publish).
 */
import type { Redis } from 'ioredis';

/**
 * INCR, buffer and PUBLISH in one script. The counter never goes below the last index this process published for the run
 * (ARGV[6]): a Redis restarted empty would otherwise count from 1 again, and subscribers, who drop indexes they have
 * seen, would silently skip the run's next events (issue 32's fault suite). Why a script: Redis runs it atomically, so the order in which
 * messages are published on the channel is exactly their index order even when two processes publish to
 * the same run, and a message is in the buffer no later than it is on the channel (which is what makes
 * subscribe-then-read-buffer gap-free). The message JSON is assembled from pre-encoded parts so Lua's
 * cjson never re-encodes (and never turns [] into {}).
 */
export const publishScript = `
local index = redis.call('INCR', KEYS[1])
if index <= tonumber(ARGV[6]) then
  index = tonumber(ARGV[6]) + 1
  redis.call('SET', KEYS[1], index)
end
local message = '{"index":' .. index .. ',"event":' .. ARGV[1] .. ',"data":' .. ARGV[2] .. '}'
redis.call('ZADD', KEYS[2], index, message)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -1 - tonumber(ARGV[5]))
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[3], message)
return index
`;

export type PublishingRedis = Redis & {
  skyfloPublish(
    indexKey: string,
    bufferKey: string,
    event: string,
    data: string,
    channel: string,
    ttlSeconds: number,
    maxBuffered: number,
    /** the last index this process published for the run: a Redis that lost its counter (a restart) never reuses one */
    floor: number,
  ): Promise<number>;
};

/** `client` with the script defined as its `skyfloPublish` command (sent by its hash, loaded on first use). */
export function withPublishCommand(client: Redis): PublishingRedis {
  client.defineCommand('skyfloPublish', { numberOfKeys: 2, lua: publishScript });
  return client as PublishingRedis;
}
