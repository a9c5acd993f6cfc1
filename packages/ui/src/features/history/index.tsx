export { HistoryList } from './history-list.tsx';
export { SearchDialog } from './search-dialog.tsx';
