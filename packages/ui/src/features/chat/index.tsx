export { HomePage } from './home-page.tsx';
export { ChatPage } from './chat-page.tsx';
