/** Header the custom server (server.ts) sets from the TCP peer address, overwriting any sent. */
export const CLIENT_IP_HEADER = 'x-km-client-ip';
