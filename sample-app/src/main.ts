import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const app = await createApp();
await app.listen(port);
console.log(`\n  nestjs-multidb sample app is running: open http://localhost:${port}/\n`);
