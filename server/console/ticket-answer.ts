/** What `POST /console/stream-tickets` answers: the server writes it, the page reads it. */
export interface StreamTicketAnswer {
  /** Single-use; redeemed by `GET /console/events?ticket=…`. */
  ticket: string;
  expires_in_seconds: number;
  /** The tenant's account id, as webhooks carry it (never the key). */
  client_id: string;
}
