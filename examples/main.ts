import { bootstrap } from './quickstart.js';

const app = await bootstrap();
console.log(`Quickstart listening on ${await app.getUrl()}`);
