import { startPostgres } from './postgres-container';

export default startPostgres;
