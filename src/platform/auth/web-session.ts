import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Tx } from '../db/database.ts';
import { absoluteTimeoutMs, createSession, destroySession, sessionCookieName } from './sessions.ts';

/**
 * Starts a fresh session for someone who has just proved who they are. Any session the browser already
 * had is ended first, so a session id planted before sign-in is worthless after it (session fixation).
 */
export async function startSession(tx: Tx, request: FastifyRequest, reply: FastifyReply, userId: string): Promise<void> {
  if (request.session) await destroySession(tx, request.session.tokenHash);
  const { token } = await createSession(tx, userId);
  reply.setCookie(sessionCookieName, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    maxAge: Math.floor(absoluteTimeoutMs / 1000),
  });
}

export async function endSession(tx: Tx, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.session) await destroySession(tx, request.session.tokenHash);
  reply.clearCookie(sessionCookieName, { path: '/' });
}
