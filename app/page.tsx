import { redirect } from 'next/navigation';
import { currentViewer } from '@/lib/auth';

export const dynamic = 'force-dynamic';

export default async function Home() {
  redirect((await currentViewer()) ? '/today' : '/sign-in');
}
