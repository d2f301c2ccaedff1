import { MultiDbError } from 'nestjs-multidb';
import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
try {
  const app = await createApp();
  await app.listen(port);
  console.log(`\n  nestjs-multidb sample app is running: open http://localhost:${port}/\n`);
} catch (error) {
  // a MultiDbError says which database and how to fix it; anything else keeps its stack
  console.error(error instanceof MultiDbError ? `\n  ${error.message}\n` : error);
  process.exitCode = 1;
}
