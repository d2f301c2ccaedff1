import { Post } from './post.entity.js';
import { AuditEntry, Setting } from './meta.entities.js';
import { User } from './user.entity.js';

export { AuditEntry, Post, Setting, User };
export const entities = [Post, User, AuditEntry, Setting];
