import { stopPostgres } from './postgres-container';

export default stopPostgres;
